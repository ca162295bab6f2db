"""Local images and videos as workflow inputs: checked when set, uploaded once at submit; videos out.

``wf.set(image="photo.png")`` (or a PIL image, a numpy array, bytes; a list for an image
collection; a folder or glob in a sweep) puts a :class:`LocalMedia` where the server's image name
goes; :meth:`invokekit.Client.submit` uploads each content once per server
(:func:`upload_media`) and sends the batch with the server's names. Videos that output nodes make
are :class:`VideoRef` entries of ``ItemResult.videos``, downloaded by :func:`download_video`.
"""

from invokekit.media._fields import NAME_KEY, media_field, media_sweep, media_value
from invokekit.media._local import LocalMedia, MediaError, expand_paths, local_media
from invokekit.media._uploads import (
    UPLOAD_WORKERS,
    UploadCache,
    find_media_in,
    planned_inputs,
    upload_media,
    upload_one,
)
from invokekit.media._videos import VideoRef, check_mp4, download_video, video_ref

__all__ = [
    "NAME_KEY", "UPLOAD_WORKERS", "LocalMedia", "MediaError", "UploadCache", "VideoRef", "check_mp4",
    "download_video", "expand_paths", "find_media_in", "local_media", "media_field", "media_sweep",
    "media_value", "planned_inputs", "upload_media", "upload_one", "video_ref",
]
