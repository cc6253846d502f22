"""``aiinfra preflight``: cloud-side checks before ``up`` (offerings, quotas, reservations, AMIs).

The checks (:mod:`.checks`) read the resolved plan and ask AWS through a small typed API
(:mod:`.aws_api`, boto3 underneath, so ``AWS_ENDPOINT_URL`` points it at an emulator). A call
the endpoint cannot answer makes its check ``unverified``, naming the resource, never silent.
"""
