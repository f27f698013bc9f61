#!/bin/sh
echo 'hello, CRLF'
