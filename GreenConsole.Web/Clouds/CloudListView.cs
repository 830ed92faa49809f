namespace GreenConsole.Web.Clouds;

/// <summary>Columns the Clouds page sorts by.</summary>
public enum CloudSortColumn
{
    Cloud,
    Country,
    Zone,
    Threshold,
    Pue,
}

/// <summary>
/// Sorting and paging of the Clouds page's table, kept out of the page so tests reach it without a browser. A plain
/// sort of summaries the page already holds: no query, no expression compiled per click.
/// </summary>
public static class CloudListView
{
    public const int PageSize = 25;

    public static int PageCount(int clouds) => Math.Max(1, (clouds + PageSize - 1) / PageSize);

    /// <summary>One page (0-based, clamped to the last) of the clouds in the chosen order; ties keep the id order.</summary>
    public static IReadOnlyList<CloudSummary> Page(IReadOnlyList<CloudSummary> clouds, CloudSortColumn? column, bool descending, int page)
    {
        ArgumentNullException.ThrowIfNull(clouds);
        IEnumerable<CloudSummary> ordered = column switch
        {
            CloudSortColumn.Cloud => Order(clouds, c => c.DisplayName, StringComparer.CurrentCultureIgnoreCase, descending),
            CloudSortColumn.Country => Order(clouds, c => c.CountryCode, StringComparer.OrdinalIgnoreCase, descending),
            CloudSortColumn.Zone => Order(clouds, c => c.Zone, StringComparer.OrdinalIgnoreCase, descending),
            // Clouds without their own threshold use the default: they sort after every explicit one.
            CloudSortColumn.Threshold => Order(clouds, c => c.ThresholdGPerKwh ?? double.PositiveInfinity, Comparer<double>.Default, descending),
            CloudSortColumn.Pue => Order(clouds, c => c.Pue, Comparer<double>.Default, descending),
            _ => clouds.OrderBy(c => c.Id),
        };
        var last = PageCount(clouds.Count) - 1;
        return ordered.Skip(Math.Clamp(page, 0, last) * PageSize).Take(PageSize).ToList();
    }

    private static IOrderedEnumerable<CloudSummary> Order<TKey>(IEnumerable<CloudSummary> clouds, Func<CloudSummary, TKey> key, IComparer<TKey> comparer, bool descending) =>
        (descending ? clouds.OrderByDescending(key, comparer) : clouds.OrderBy(key, comparer)).ThenBy(c => c.Id);
}
