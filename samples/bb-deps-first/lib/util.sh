say() {
  echo "[app] $*"
}
