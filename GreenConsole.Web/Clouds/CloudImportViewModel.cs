using GreenConsole.Core.Clouds;

namespace GreenConsole.Web.Clouds;

/// <summary>
/// The upload-preview-import flow of the Clouds page, kept out of the component so it can be tested without a browser.
/// The file is held in memory between preview and import so both see exactly the same bytes.
/// </summary>
public sealed class CloudImportViewModel(CloudImportService importer)
{
    private byte[]? _file;

    public string? FileName { get; private set; }
    public CloudImportMode Mode { get; set; } = CloudImportMode.AllOrNothing;
    public CloudImportReport? Preview { get; private set; }
    public CloudImportReport? Result { get; private set; }
    public string? Error { get; private set; }
    public bool Busy { get; private set; }

    public long MaxFileBytes => importer.CsvOptions.MaxBytes;

    /// <summary>Only offer the import when the preview says it would store something.</summary>
    public bool CanImport => _file is not null && Preview is { HasFileErrors: false } p
        && (Mode == CloudImportMode.ValidRowsOnly ? p.Rows.Any(r => r.Status != CloudImportRowStatus.Rejected) : p.Rejected == 0 && p.Rows.Count > 0);

    public async Task LoadAsync(string fileName, Stream content, long declaredSize, CancellationToken cancellationToken)
    {
        Reset();
        FileName = fileName;
        if (declaredSize > MaxFileBytes)
        {
            Error = $"'{fileName}' is {declaredSize:N0} bytes; the limit is {MaxFileBytes:N0} bytes.";
            return;
        }
        Busy = true;
        try
        {
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken);
            _file = buffer.ToArray();
            Preview = await importer.ImportAsync(new MemoryStream(_file, writable: false), Mode, dryRun: true, cancellationToken);
        }
        catch (IOException ex)
        {
            Error = $"Could not read '{fileName}': {ex.Message}";
        }
        finally
        {
            Busy = false;
        }
    }

    public async Task ChangeModeAsync(CloudImportMode mode, CancellationToken cancellationToken)
    {
        Mode = mode;
        if (_file is not null)
        {
            Preview = await importer.ImportAsync(new MemoryStream(_file, writable: false), Mode, dryRun: true, cancellationToken);
        }
    }

    public async Task<CloudImportReport?> ImportAsync(CancellationToken cancellationToken)
    {
        if (_file is null)
        {
            return null;
        }
        Busy = true;
        try
        {
            Result = await importer.ImportAsync(new MemoryStream(_file, writable: false), Mode, dryRun: false, cancellationToken);
            Preview = null;
            _file = null;
            return Result;
        }
        finally
        {
            Busy = false;
        }
    }

    public void Reset()
    {
        _file = null;
        FileName = null;
        Preview = null;
        Result = null;
        Error = null;
    }

    public static string Describe(IEnumerable<CsvIssue> issues) => string.Join("; ", issues.Select(i => i.Field is null ? i.Message : $"{i.Field}: {i.Message}"));
}
