#!/bin/sh
echo "$GREETING from $APP_NAME"
