; Inno Setup 6 script for Tickerdesk (Windows x64). UNTESTED here: written for the
; windows-latest job in .github/workflows/release.yml, which runs, from the repo root:
;   iscc /DAppVersion=0.1.0 packaging\windows\tickerdesk.iss
; after `pyinstaller packaging\tickerdesk.spec --distpath packaging\dist` produced
; packaging\dist\tickerdesk\ (tickerdesk.exe + _internal\).
; Output: packaging\dist\tickerdesk-<version>-windows-x64-setup.exe

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Tickerdesk"
#define AppExe "tickerdesk.exe"
#define BundleDir "..\dist\tickerdesk"

[Setup]
; AppId identifies the product across upgrades: never change it.
AppId={{6F3B7E1A-4C2D-4B8E-9A51-2D7C0E9F4A13}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Tickerdesk developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install by default (no admin prompt); the dialog offers all-users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; PySide6 6.12 supports Windows 10 1809 and later.
MinVersion=10.0.17763
OutputDir=..\dist
OutputBaseFilename=tickerdesk-{#AppVersion}-windows-x64-setup
SetupIconFile=tickerdesk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle wholesale: stale DLLs from an older version must not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autoprograms}\{#AppName} (demo market)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Description: "{cm:LaunchProgram,{#AppName}} (demo market)"; Flags: nowait postinstall skipifsilent
