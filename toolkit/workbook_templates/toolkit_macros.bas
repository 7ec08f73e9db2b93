Attribute VB_Name = "ToolkitMacros"
' The macros behind the buttons on the control sheet of the toolkit's master workbook.
'
' Each button hands its job to Python (toolkit.excel) through RunPython of the xlwings add-in, which
' `xlwings addin install` puts into Excel's XLSTART folder. The add-in is called late-bound
' (Application.Run), so this project needs no reference to it and opens cleanly on a PC without it;
' there the button shows the message kept in the workbook name toolkit_msg_no_addin instead.
'
' This file is ASCII on purpose: a VBA project stores its source in one code page, and the
' staff-facing Japanese texts live in the workbook (and in Python), where Unicode is safe.
' `toolkit excel-setup` puts this module into the .xlsm; it can also be imported by hand
' (VBA editor > File > Import File...).
Option Explicit

Private Const RUN_PYTHON As String = "'xlwings.xlam'!RunPython"

' Plan for the company picked on the control sheet, or for the rows selected on the companies sheet.
Public Sub MakePlan()
    RunToolkit "import toolkit.excel; toolkit.excel.make_plan()"
End Sub

' Every report (business, budget, KPI, support records, minutes).
Public Sub MakeReports()
    RunToolkit "import toolkit.excel; toolkit.excel.make_reports()"
End Sub

' Every finding into the check-results sheet.
Public Sub RunCheck()
    RunToolkit "import toolkit.excel; toolkit.excel.run_check()"
End Sub

' Budget status and KPI progress, with charts, on the summary sheet.
Public Sub RefreshSummary()
    RunToolkit "import toolkit.excel; toolkit.excel.refresh_summary()"
End Sub

' Rows the scheduled sync queued while the book was open, then a fresh fetch from Microsoft 365.
Public Sub RunSync()
    RunToolkit "import toolkit.excel; toolkit.excel.run_sync()"
End Sub

Private Sub RunToolkit(ByVal command As String)
    On Error GoTo NoAddin
    Application.Run RUN_PYTHON, command
    Exit Sub
NoAddin:
    MsgBox NoAddinMessage() & vbCrLf & vbCrLf & "(" & Err.Number & ") " & Err.Description, vbExclamation
End Sub

Private Function NoAddinMessage() As String
    On Error GoTo Fallback
    NoAddinMessage = CStr(ThisWorkbook.Names("toolkit_msg_no_addin").RefersToRange.Value)
    Exit Function
Fallback:
    NoAddinMessage = "Python could not be started: is the xlwings add-in installed? (xlwings addin install)"
End Function
