<#
.SYNOPSIS
  Microsoft 365 同期（scripts\sync_scheduled.py）を Windows のタスク スケジューラに登録します。

.DESCRIPTION
  同期を実行するユーザー（シークレットをキーリングに保管したユーザー）で実行してください。
  既定では「ユーザーがログオンしているときのみ実行」で登録します。
  -RunWhetherLoggedOn を付けると、ログオフ中も実行されます（パスワードを尋ねます）。

  -Workbook には、スタッフが使っているマスターブックを指定します。Excel のボタンを設定した場合は
  ボタン付きの .xlsm です（同じ名前の .xlsx は古い控えなので、指定すると登録を中止します）。

  タスクは pythonw.exe で実行します（1 時間ごとに黒い画面が開くことはありません）。-Python を省くと、
  手順書どおりに入れた Python（py ランチャーの既定の Python。toolkit フォルダーに .venv があればそちら）を使います。

  このファイルは UTF-8（BOM 付き）で保存しています。Windows PowerShell 5.1 は BOM のない UTF-8 を
  日本語版 Windows の既定の文字コード（CP932）で読み、メッセージが文字化けするためです。

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\register_task.ps1 -Workbook "\\fileserver\share\マスター.xlsm"

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\register_task.ps1 -Workbook "D:\事業\マスター.xlsm" -EveryMinutes 30 -RunWhetherLoggedOn
#>
[CmdletBinding()]
param(
    # マスターブック（ボタン付きなら .xlsm。ネットワーク共有は UNC パスで）
    [Parameter(Mandatory = $true)][string]$Workbook,
    # 実行間隔（分）
    [int]$EveryMinutes = 60,
    # 最初の実行時刻（HH:mm）
    [string]$StartAt = "07:00",
    # タスク名
    [string]$TaskName = "toolkit Microsoft 365 同期",
    # Python（pythonw.exe。既定: toolkit の .venv、なければ py ランチャーの既定の Python）
    [string]$Python = "",
    # ログファイル（既定: %APPDATA%\toolkit\logs\sync.log）
    [string]$Log = "",
    [switch]$RunWhetherLoggedOn
)

$ErrorActionPreference = "Stop"
$repo = Split-Path -Parent $PSScriptRoot

# Runs a program and returns its exit code and first output line. Windows PowerShell 5.1 turns a native
# program's stderr into errors, which $ErrorActionPreference = "Stop" would make fatal: relax it for the call.
function Invoke-Quiet([string]$Exe, [string[]]$Arguments) {
    $previous = $ErrorActionPreference
    $ErrorActionPreference = "Continue"
    try {
        $out = & $Exe @Arguments 2>$null | Select-Object -First 1
        return @{ Code = $LASTEXITCODE; Out = "$out".Trim() }
    } finally {
        $ErrorActionPreference = $previous
    }
}

function Find-Python {
    $venv = Join-Path $repo ".venv\Scripts\pythonw.exe"
    if (Test-Path $venv) { return $venv }
    # The documented install: the python.org installer, then `py -m pip install -e ".[excel]"`. The py launcher
    # knows where that Python lives (per user: %LOCALAPPDATA%\Programs\Python\Python3xx).
    if (Get-Command py.exe -ErrorAction SilentlyContinue) {
        $result = Invoke-Quiet "py.exe" @("-3", "-c", "import sys; print(sys.executable)")
        if ($result.Code -eq 0 -and $result.Out) { return $result.Out }
    }
    $found = Get-Command pythonw.exe -ErrorAction SilentlyContinue
    if ($found) { return $found.Source }
    throw "Python が見つかりません。手順書のとおり Python と toolkit を入れるか、-Python で pythonw.exe を指定してください。"
}

if (-not $Python) { $Python = Find-Python }
# The task runs the windowless twin: no console window opens every hour.
$folder = Split-Path -Parent $Python
$pythonw = Join-Path $folder "pythonw.exe"
$console = Join-Path $folder "python.exe"
if (-not (Test-Path $pythonw)) { throw "pythonw.exe が見つかりません: $pythonw（-Python で指定してください）" }
if (Test-Path $console) {
    if ((Invoke-Quiet $console @("-c", "import toolkit")).Code -ne 0) {
        throw "この Python には toolkit が入っていません: $console（toolkit のフォルダーで py -m pip install -e "".[excel]"" を実行）"
    }
}

if (-not (Test-Path $Workbook)) { throw "ブックが見つかりません: $Workbook" }
if ([IO.Path]::GetExtension($Workbook) -ieq ".xlsx") {
    $xlsm = [IO.Path]::ChangeExtension($Workbook, ".xlsm")
    if (Test-Path $xlsm) {
        throw "$Workbook の横にボタン付きの $xlsm があります。スタッフが使っているのは .xlsm です。-Workbook に .xlsm を指定してください。"
    }
}
$script = Join-Path $repo "scripts\sync_scheduled.py"

$arguments = "`"$script`" `"$Workbook`""
if ($Log) { $arguments += " --log `"$Log`"" }

$action = New-ScheduledTaskAction -Execute $pythonw -Argument $arguments -WorkingDirectory $repo
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
Write-Host "ブック: $Workbook"
Write-Host "Python: $pythonw"
Write-Host "今すぐ試すには: Start-ScheduledTask -TaskName '$TaskName'"
Write-Host "ログ: $(if ($Log) { $Log } else { Join-Path $env:APPDATA 'toolkit\logs\sync.log' })"
