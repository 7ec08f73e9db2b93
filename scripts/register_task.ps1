<#
.SYNOPSIS
  Microsoft 365 同期（scripts\sync_scheduled.py）を Windows のタスク スケジューラに登録します。

.DESCRIPTION
  同期を実行するユーザー（シークレットをキーリングに保管したユーザー）で実行してください。
  既定では「ユーザーがログオンしているときのみ実行」で登録します。
  -RunWhetherLoggedOn を付けると、ログオフ中も実行されます（パスワードを尋ねます）。

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\register_task.ps1 -Workbook "\\fileserver\share\master.xlsx"

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\register_task.ps1 -Workbook "D:\program\master.xlsx" -EveryMinutes 30 -RunWhetherLoggedOn
#>
[CmdletBinding()]
param(
    # マスターブック（ネットワーク共有は UNC パスで）
    [Parameter(Mandatory = $true)][string]$Workbook,
    # 実行間隔（分）
    [int]$EveryMinutes = 60,
    # 最初の実行時刻（HH:mm）
    [string]$StartAt = "07:00",
    # タスク名
    [string]$TaskName = "toolkit Microsoft 365 同期",
    # Python（既定: リポジトリの .venv）
    [string]$Python = "",
    # ログファイル（既定: %APPDATA%\toolkit\logs\sync.log）
    [string]$Log = "",
    [switch]$RunWhetherLoggedOn
)

$ErrorActionPreference = "Stop"
$repo = Split-Path -Parent $PSScriptRoot
if (-not $Python) { $Python = Join-Path $repo ".venv\Scripts\python.exe" }
if (-not (Test-Path $Python)) { throw "Python が見つかりません: $Python（-Python で指定してください）" }
if (-not (Test-Path $Workbook)) { throw "ブックが見つかりません: $Workbook" }
$script = Join-Path $repo "scripts\sync_scheduled.py"

$arguments = "`"$script`" `"$Workbook`""
if ($Log) { $arguments += " --log `"$Log`"" }

$action = New-ScheduledTaskAction -Execute $Python -Argument $arguments -WorkingDirectory $repo
$start = [datetime]::ParseExact($StartAt, "HH:mm", $null)
# -Once + RepetitionInterval without a duration repeats indefinitely (Windows 10 / Server 2016 and later).
$trigger = New-ScheduledTaskTrigger -Once -At $start -RepetitionInterval (New-TimeSpan -Minutes $EveryMinutes)
$settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -MultipleInstances IgnoreNew `
    -ExecutionTimeLimit (New-TimeSpan -Minutes 30) -DontStopIfGoingOnBatteries -AllowStartIfOnBatteries
$user = "$env:USERDOMAIN\$env:USERNAME"

if ($RunWhetherLoggedOn) {
    # Password logon loads the user's profile, so the Windows Credential Manager (keyring) stays available.
    $credential = Get-Credential -UserName $user -Message "タスクを実行するユーザーのパスワード"
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings `
        -User $credential.UserName -Password $credential.GetNetworkCredential().Password `
        -RunLevel Limited -Force | Out-Null
} else {
    $principal = New-ScheduledTaskPrincipal -UserId $user -LogonType Interactive -RunLevel Limited
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings `
        -Principal $principal -Force | Out-Null
}

Write-Host "登録しました: $TaskName（$EveryMinutes 分ごと、$StartAt から）"
Write-Host "今すぐ試すには: Start-ScheduledTask -TaskName '$TaskName'"
Write-Host "ログ: $(if ($Log) { $Log } else { Join-Path $env:APPDATA 'toolkit\logs\sync.log' })"
