$ErrorActionPreference = 'Stop'
Write-Host "starting in $env:APP_HOME"
Start-Sleep -Seconds 3600
