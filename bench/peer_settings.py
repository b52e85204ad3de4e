"""The peer baseline's settings: Porchlight's, with the stock channel layer most
Channels apps use (channels_redis.core.RedisChannelLayer, default capacity 100)."""

from config.settings import *  # noqa: F403
from config.settings import REDIS_URL

CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
}
ROOT_URLCONF = "bench.peer"
