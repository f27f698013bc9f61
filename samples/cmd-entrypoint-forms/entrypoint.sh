#!/bin/sh
set -e
if [ "$1" = "serve" ]; then
  shift
  echo "serving with: $*"
  exec sleep 3600
fi
exec "$@"
