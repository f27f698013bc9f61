#!/bin/sh
set -e
echo "batch started"
sleep 5
echo "batch done"
