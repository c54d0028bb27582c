"""Pure sync core: leaf paths, three-way merge, hybrid logical clock."""
