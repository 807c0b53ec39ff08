#!/bin/sh
: "${GATEWAY:=none}"
echo "gateway: $GATEWAY"
