export TOOL_HOME=/opt/tool
export PATH="$TOOL_HOME/bin:$PATH"
