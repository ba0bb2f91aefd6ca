"""The trainer's local web page (``seqplan serve``): a small Flask app over ``planner.api``
and ``planner.trainer``. Binds 127.0.0.1, stores nothing, fetches nothing from the network;
its script and stylesheet ship in ``static/``, its wording in ``templates/``."""
