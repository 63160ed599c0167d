from django.urls import path

from workbench.relay.consumer import RelayConsumer

websocket_urlpatterns = [path("ws/relay", RelayConsumer.as_asgi(), name="relay")]
