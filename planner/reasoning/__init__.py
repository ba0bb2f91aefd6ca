"""Assessment -> facts -> forward chaining in durable-rules -> conclusions and trace."""
