using GreenConsole.Web.Clouds;

namespace GreenConsole.Tests.Web.Clouds;

public sealed class CloudListViewTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly CloudSummary[] Clouds =
    [
        Summary(1, "seoul", "KR", 400, 1.2),
        Summary(2, "berlin", "DE", null, 1.1),
        Summary(3, "Austin", "US-TEX-ERCO", 300, 1.5),
        Summary(4, "toronto", "CA-ON", 300, 1.1),
    ];

    [Theory]
    [InlineData(null, false, new[] { 1, 2, 3, 4 })]
    [InlineData(CloudSortColumn.Cloud, false, new[] { 3, 2, 1, 4 })]          // case-insensitive names
    [InlineData(CloudSortColumn.Cloud, true, new[] { 4, 1, 2, 3 })]
    [InlineData(CloudSortColumn.Zone, false, new[] { 4, 2, 1, 3 })]
    [InlineData(CloudSortColumn.Threshold, false, new[] { 3, 4, 1, 2 })]      // ties by id; "default" last
    [InlineData(CloudSortColumn.Threshold, true, new[] { 2, 1, 3, 4 })]
    [InlineData(CloudSortColumn.Pue, false, new[] { 2, 4, 1, 3 })]
    public void Sorts_by_the_chosen_column_with_ties_in_id_order(CloudSortColumn? column, bool descending, int[] expected) =>
        Assert.Equal(expected, CloudListView.Page(Clouds, column, descending, 0).Select(c => c.Id));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(25, 1)]
    [InlineData(26, 2)]
    [InlineData(200, 8)]
    public void Page_count(int clouds, int pages) => Assert.Equal(pages, CloudListView.PageCount(clouds));

    [Theory]
    [InlineData(0, 1, 25)]
    [InlineData(1, 26, 50)]
    [InlineData(2, 51, 60)]
    [InlineData(9, 51, 60)]    // past the end: the last page
    [InlineData(-3, 1, 25)]
    public void Pages_hold_twenty_five_clouds_and_clamp_to_the_last(int page, int firstId, int lastId)
    {
        var many = Enumerable.Range(1, 60).Select(i => Summary(i, $"c{i:000}", "DE", null, 1.0)).ToList();

        var shown = CloudListView.Page(many, null, false, page);

        Assert.Equal((firstId, lastId), (shown[0].Id, shown[^1].Id));
    }

    private static CloudSummary Summary(int id, string label, string zone, double? threshold, double pue) => new(
        id, "127.0.0.1", 2200 + id, $"u{id}", HasPassword: true, HasKey: false, KeyPath: null, zone[..2], zone, zone,
        threshold, pue, label, HostKeyFingerprint: null, T0, T0, null, null, null, null, null);
}
