#!/bin/bash
set -euo pipefail
echo "compiler: $(gcc --version | head -n1)"
