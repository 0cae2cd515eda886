"""The cloud's side of property nodes: judging and replaying what a node did offline."""
