#!/usr/bin/env bash
# Sign an image in the room's registry and verify it, offline: a key pair of your own stands in
# for Sigstore's keyless certificates and transparency log, which need the internet.
# Needs what the course's setup installs: the stand-ins, the registry on 127.0.0.1:5000, cosign.
set -euo pipefail
cd "$(mktemp -d)"
app=127.0.0.1:5000/shipshape.test/signing-demo

echo "1. Push the image that passed the gate; its digest is what gets signed."
docker tag shipshape.test/distroless/static-debian13:nonroot "$app:release"
docker push --quiet "$app:release" >/dev/null
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$app:release" | grep "^$app@")
echo "   $digest"

echo "2. A key pair: cosign.key (encrypted with COSIGN_PASSWORD, empty here) and cosign.pub."
COSIGN_PASSWORD='' cosign generate-key-pair 2>/dev/null

echo "3. Sign the digest, never the tag (no transparency log offline: --tlog-upload=false)."
COSIGN_PASSWORD='' cosign sign --yes --key cosign.key --tlog-upload=false --allow-http-registry "$digest" 2>/dev/null

echo "4. Verify it, as a cluster's admission policy would before running it:"
cosign verify --key cosign.pub --insecure-ignore-tlog --allow-http-registry "$digest" 2>&1 >/dev/null | grep -e '^  - '

echo "5. Someone moves the tag to another image, one nobody signed:"
docker tag shipshape.test/busybox:latest "$app:release"
docker push --quiet "$app:release" >/dev/null
if cosign verify --key cosign.pub --insecure-ignore-tlog --allow-http-registry "$app:release" >/dev/null 2>verify.log; then
  echo "   verified: the image the tag names now carries a signature"
else
  echo "   refused, $(grep -m1 '^Error: ' verify.log)"
fi
docker image rm --force "$app:release" >/dev/null
