param([string]$Name = 'world')
Write-Output "hello $Name"
