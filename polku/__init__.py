"""The composition root: the `polku` command puts core, bot and admin together in one process."""
