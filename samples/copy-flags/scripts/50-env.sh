#!/bin/sh
echo "printing env"
env | sort
