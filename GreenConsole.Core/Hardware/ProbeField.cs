namespace GreenConsole.Core.Hardware;

/// <summary>
/// One probed value, or the reason it could not be read. A missing tool, an "[N/A]" field or a non-Linux host
/// all end up here instead of as an exception, so one unreadable field never hides the others.
/// </summary>
public readonly record struct ProbeField<T>
{
    private ProbeField(bool hasValue, T? value, string? missingReason)
    {
        HasValue = hasValue;
        ValueOrDefault = value;
        MissingReason = missingReason;
    }

    public bool HasValue { get; }
    public T? ValueOrDefault { get; }
    public string? MissingReason { get; }

    public T Value => HasValue
        ? ValueOrDefault!
        : throw new InvalidOperationException($"Probe field has no value: {MissingReason}");

    public static ProbeField<T> Of(T value) => new(true, value, null);

    public static ProbeField<T> Missing(string reason) => new(false, default, reason);

    public ProbeField<TOut> Map<TOut>(Func<T, TOut> map) =>
        HasValue ? ProbeField<TOut>.Of(map(ValueOrDefault!)) : ProbeField<TOut>.Missing(MissingReason!);

    public override string ToString() => HasValue ? $"{ValueOrDefault}" : $"missing ({MissingReason})";
}
