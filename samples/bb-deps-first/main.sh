#!/bin/sh
. ./lib/util.sh
say "app started"
