"""A local stand-in for Alibaba Cloud's Classic Load Balancer (SLB API 2014-05-15).

The backend (`backend.SlbBackend`) holds the state and enforces the service's rules; the wire
layer (`api_server`) speaks the real RPC protocol with both signature schemes; the data plane
(`dataplane`) turns running HTTPS listeners into real TLS servers.
"""
__version__ = "0.1.0"
