#!/bin/sh
touch /tmp/ready
echo "serving on $*"
exec sleep 3600
