import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geste.settings")
application = get_wsgi_application()

# Every view imported now (Django would on the first request), then what start-up made is set
# aside from the garbage collector: its full passes no longer walk Django's and geste's
# hundreds of thousands of long-lived objects, which made one request in twenty of a page of a
# thousand rows 100 ms slower (bench/worklist.py, "gc" column). Workers forked from here also
# keep these pages shared (copy-on-write).
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
