"""Local stand-ins for the GitHub and Slack APIs, for `hero demo` and the tests."""
