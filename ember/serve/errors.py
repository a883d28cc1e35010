"""The server's errors and the one table that maps every error to an HTTP status.

A protocol handler raises; the app renders `{"error": message}` with `status_of(error)`. Ember's own
errors (a model that rejects an input's shape or dtype) are the client's fault and map to 400, so a
new error type cannot become a 500 by accident: only a failure that no table row names is a 500.

    >>> status_of(NotFound("model 'x' is not served"))
    404
"""
from ember.errors import EmberError
from ember.io.serialize import FileError

__all__ = ["ServeError", "BadRequest", "NotFound", "MethodNotAllowed", "PayloadTooLarge", "UnsupportedMediaType",
           "Unavailable", "RequestTimeout", "ModelLoadError", "status_of"]


class ServeError(EmberError):
    """Base class of the server's errors."""


class BadRequest(ServeError, ValueError):
    """A request the server understood but cannot run: malformed JSON, wrong names, shapes or dtypes."""


class NotFound(ServeError, LookupError):
    """An unknown path, model or version."""


class MethodNotAllowed(ServeError):
    """A known path with the wrong HTTP method."""


class PayloadTooLarge(ServeError):
    """A body over --max-body-mb (refused before it is read whole)."""


class UnsupportedMediaType(ServeError):
    """A body encoding the server does not read (e.g. gzip-compressed inference requests)."""


class Unavailable(ServeError):
    """A model that exists but has no version ready yet (loading, or every version failed)."""


class RequestTimeout(ServeError, TimeoutError):
    """An inference that did not finish within --request-timeout-s."""


class ModelLoadError(ServeError):
    """A model file or folder that cannot be served: unknown kind, unreadable, not local."""


# The most specific class first: `status_of` takes the first row the error is an instance of.
STATUS = [
    (BadRequest, 400),
    (NotFound, 404),
    (MethodNotAllowed, 405),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (Unavailable, 503),
    (RequestTimeout, 504),
    (FileError, 400),
    (EmberError, 400),        # ShapeError, DTypeError, ArgumentError... raised by the model on the input
]


def status_of(error):
    """The HTTP status for `error` (500 only for errors outside ember's hierarchy: a server bug)."""
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 500
