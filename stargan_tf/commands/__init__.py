"""The installed commands (stargan-train, stargan-translate, ...); scripts/*.py call the same functions."""
