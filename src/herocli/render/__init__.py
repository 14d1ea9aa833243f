"""How the queue looks: Rich tables and thread views, Markdown, and the JSON shapes."""
