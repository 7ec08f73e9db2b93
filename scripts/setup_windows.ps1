<#
.SYNOPSIS
  toolkit をパソコン全体（すべてのユーザー）に入れます。IT 担当者が管理者として 1 台に 1 回実行します。

.DESCRIPTION
  個人用の Python（%LOCALAPPDATA%）と個人用の xlwings アドイン（そのユーザーの XLSTART）は、入れたユーザー
  だけのものです。IT 担当者のログインで入れると、スタッフのログインでは「Python を呼び出せませんでした」に
  なります。このスクリプトは次をパソコン全体に入れます。

    1. Python（すべてのユーザー用: C:\Program Files\Python311）。-PythonInstaller に python.org の
       インストーラーを指定すると、無人インストールします。既に入っていれば使います。
    2. toolkit（パソコン全体の仮想環境: C:\Program Files\toolkit\venv）に配布物の .whl を Excel 用の追加機能
       付きで入れます。プロキシの内側では -Proxy を指定します（pip の --proxy に渡します）。
    3. xlwings アドイン（xlwings.xlam）を Excel のプログラム側の XLSTART（すべてのユーザーが起動時に読み込む、
       既定で信頼された場所）に置きます。
    4. 確認: toolkit --version、xlwings.xlam の場所、次にすること（excel-setup の --python）を表示します。

  更新するときは、新しい版の .whl を指定してもう一度実行します（同じ仮想環境に上書きで入れます）。その後、
  マスターの .xlsm に対して toolkit excel-setup を実行するとマクロだけが新しくなります。

  このファイルは UTF-8（BOM 付き）で保存しています（Windows PowerShell 5.1 が日本語を正しく読むため）。

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\setup_windows.ps1 -Wheel .\toolkit-0.1.0-py3-none-any.whl

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\setup_windows.ps1 -Wheel .\toolkit-0.1.0-py3-none-any.whl `
    -PythonInstaller .\python-3.11.9-amd64.exe -Proxy http://proxy.example.co.jp:8080
#>
[CmdletBinding()]
param(
    # 配布物の wheel（toolkit-<版>-py3-none-any.whl）
    [Parameter(Mandatory = $true)][string]$Wheel,
    # python.org の Windows インストーラー（Python がまだないときだけ使います）
    [string]$PythonInstaller = "",
    # Python をすべてのユーザー用に入れる場所
    [string]$PythonDir = "C:\Program Files\Python311",
    # toolkit の仮想環境を作る場所
    [string]$Prefix = "C:\Program Files\toolkit",
    # プロキシ（例: http://proxy.example.co.jp:8080）。pip の --proxy に渡します
    [string]$Proxy = "",
    # Excel の XLSTART（省略時は Microsoft 365 / Office 2016 以降の既定の場所を探します）
    [string]$XlStart = ""
)

$ErrorActionPreference = "Stop"

function Fail([string]$message) {
    Write-Host "中止しました: $message" -ForegroundColor Red
    exit 1
}

function Step([string]$message) {
    Write-Host "・$message"
}

# 0. 管理者として実行しているか（Program Files と XLSTART に書くため）
$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Fail "管理者として実行してください（PowerShell を右クリック →「管理者として実行」）。"
}
if (-not (Test-Path -LiteralPath $Wheel -PathType Leaf)) {
    Fail "配布物の wheel が見つかりません: $Wheel"
}
$Wheel = (Resolve-Path -LiteralPath $Wheel).Path

# 1. Python（すべてのユーザー用）
$python = Join-Path $PythonDir "python.exe"
if (-not (Test-Path -LiteralPath $python)) {
    if (-not $PythonInstaller) {
        Fail "$python がありません。python.org の Windows インストーラーを -PythonInstaller に指定してください。"
    }
    Step "Python をすべてのユーザー用に入れています（$PythonDir）…"
    $arguments = @("/quiet", "InstallAllUsers=1", "PrependPath=1", "Include_launcher=1", "Include_test=0",
                   "TargetDir=`"$PythonDir`"")
    $process = Start-Process -FilePath $PythonInstaller -ArgumentList $arguments -Wait -PassThru
    if ($process.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $python)) {
        Fail "Python のインストールに失敗しました（終了コード $($process.ExitCode)）。"
    }
}
$version = & $python -c "import sys; print('%d.%d' % sys.version_info[:2])"
if ([version]$version -lt [version]"3.11") {
    Fail "Python $version は古すぎます。3.11 以降を入れてください。"
}
Step "Python $version : $python"

# 2. toolkit（パソコン全体の仮想環境）
$venv = Join-Path $Prefix "venv"
$venvPython = Join-Path $venv "Scripts\python.exe"
if (-not (Test-Path -LiteralPath $venvPython)) {
    Step "仮想環境を作っています（$venv）…"
    & $python -m venv $venv
    if ($LASTEXITCODE -ne 0) { Fail "仮想環境を作れませんでした。" }
}
$pip = @("-m", "pip", "install", "--upgrade", "--disable-pip-version-check")
if ($Proxy) { $pip += @("--proxy", $Proxy) }
Step "toolkit を入れています（$([IO.Path]::GetFileName($Wheel))）…"
& $venvPython @pip "$Wheel[excel]"
if ($LASTEXITCODE -ne 0) {
    Fail "pip が失敗しました。プロキシの内側なら -Proxy を、社内の証明書なら pip の設定（pip.ini の cert）を確認してください。"
}
$toolkit = Join-Path $venv "Scripts\toolkit.exe"
$pythonw = Join-Path $venv "Scripts\pythonw.exe"
& $toolkit --version
if ($LASTEXITCODE -ne 0) { Fail "toolkit を起動できませんでした。" }

# 3. xlwings アドインをすべてのユーザーの XLSTART に
$addin = & $venvPython -c "import os, xlwings; print(os.path.join(os.path.dirname(xlwings.__file__), 'addin', 'xlwings.xlam'))"
if (-not (Test-Path -LiteralPath $addin)) { Fail "xlwings.xlam が見つかりません: $addin" }
if (-not $XlStart) {
    $candidates = @(
        (Join-Path $env:ProgramFiles "Microsoft Office\root\Office16\XLSTART"),
        (Join-Path ${env:ProgramFiles(x86)} "Microsoft Office\root\Office16\XLSTART"),
        (Join-Path $env:ProgramFiles "Microsoft Office\Office16\XLSTART")
    )
    $XlStart = $candidates | Where-Object { Test-Path -LiteralPath (Split-Path $_ -Parent) } | Select-Object -First 1
    if (-not $XlStart) { Fail "Excel の XLSTART が見つかりません。-XlStart で指定してください。" }
}
New-Item -ItemType Directory -Force -Path $XlStart | Out-Null
Copy-Item -LiteralPath $addin -Destination (Join-Path $XlStart "xlwings.xlam") -Force
Step "xlwings アドイン: $(Join-Path $XlStart 'xlwings.xlam')（すべてのユーザーが Excel の起動時に読み込みます）"

# 4. 次にすること
Write-Host ""
Write-Host "完了しました。マスターブックをボタン付きにするときは、Excel から呼び出す Python をこの仮想環境に固定します:"
Write-Host "  `"$toolkit`" excel-setup マスター.xlsx --python `"$pythonw`""
Write-Host "作成済みの .xlsm は同じコマンドを .xlsm に対して実行すると、マクロと Python の場所だけが新しくなります。"
Write-Host "マクロの信頼（ブロックの解除・信頼できる場所・グループ ポリシー）は docs\excel.md を参照してください。"
