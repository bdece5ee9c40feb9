"""Downloads of result files: streamed to ``NAME.part``, resumable, never overwriting.

Public faces: ``manager.DownloadManager`` (queue, concurrency, retries), ``model`` (the progress
and state types it reports), ``transfer`` (one HTTP transfer with Range/If-Range), ``body`` (the
fast body reader), ``partfile`` (the ``.part`` writer thread), ``filenames`` (safe, free names).
"""
