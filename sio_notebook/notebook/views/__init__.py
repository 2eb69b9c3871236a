"""The views: what a person sees of a client, as display outputs updated in place.

Each view renders HTML with :mod:`.render` (pure) and the theme's CSS (:mod:`.theme`); how an
update reaches the screen in each frontend is :mod:`..frontends`' job.
"""
