"""Reading what comes from outside, before any knowledge is applied: bytes to data, safely
(size, depth and encoding bounds), and free words to a vocabulary's terms."""
