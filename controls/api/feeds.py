"""A teen's home network filter address in the API (guardians only), as on the Browsing card.

GET shows the live address (or `{"live": false}`); POST makes one (201, or 200 with the same
address when one is already live: a retry never makes a second); POST …/rotate replaces it
(the old one answers 404 at once); DELETE turns it off (204). The teen gets 403 (the secret is
the guardians'), anyone else 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from controls.access import teen_for_rule_change
from controls.api.rules import READ_ERRORS, TEEN_ID
from controls.feeds import services as feeds
from controls.feeds.selectors import feed_addresses

GUARDIAN_ONLY = {
    **READ_ERRORS,
    403: OpenApiResponse(description="The teen themself: the address is the guardians' secret."),
}


class FeedSerializer(serializers.Serializer):
    live = serializers.BooleanField()
    created_at = serializers.DateTimeField(required=False)
    last_fetched_at = serializers.DateTimeField(required=False, allow_null=True)
    addresses = serializers.DictField(
        child=serializers.URLField(),
        required=False,
        help_text="One subscription address per format: hosts, dnsmasq, unbound, adguard, "
        "pihole. AdGuard Home's takes `?clients=Name,Other` to apply only to those clients.",
    )


def _shape(feed, token: str | None) -> dict:
    if feed is None or token is None:
        return {"live": False}
    return {
        "live": True,
        "created_at": feed.created_at,
        "last_fetched_at": feed.last_fetched_at,
        "addresses": feed_addresses(token),
    }


class TeenDnsFeedView(APIView):
    @extend_schema(
        summary="The teen's home network filter address (guardians)",
        parameters=[TEEN_ID],
        responses={200: FeedSerializer, **GUARDIAN_ONLY},
        tags=["rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        feed = feeds.dns_feed_live_for_teen(teen=teen)
        token = feeds.dns_feed_token(feed=feed) if feed else None
        return Response(_shape(feed, token))

    @extend_schema(
        summary="Make the teen's home network filter address (guardians)",
        parameters=[TEEN_ID],
        request=None,
        responses={201: FeedSerializer, 200: FeedSerializer, **GUARDIAN_ONLY},
        tags=["rules"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        existed = feeds.dns_feed_live_for_teen(teen=teen) is not None
        secret = feeds.dns_feed_create(actor=request.user, teen=teen)
        return Response(
            _shape(secret.feed, secret.token),
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Turn off the teen's home network filter address (guardians)",
        parameters=[TEEN_ID],
        request=None,
        responses={204: OpenApiResponse(description="Off (or was already)."), **GUARDIAN_ONLY},
        tags=["rules"],
    )
    def delete(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        feeds.dns_feed_revoke(actor=request.user, teen=teen)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeenDnsFeedRotateView(APIView):
    @extend_schema(
        summary="Replace the teen's home network filter address (guardians)",
        description="The old address answers 404 from now on; every filter needs the new one.",
        parameters=[TEEN_ID],
        request=None,
        responses={200: FeedSerializer, **GUARDIAN_ONLY},
        tags=["rules"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        secret = feeds.dns_feed_rotate(actor=request.user, teen=teen)
        return Response(_shape(secret.feed, secret.token))
