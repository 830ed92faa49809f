using Bunit;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Components.Clouds;
using GreenConsole.Web.Components.Pages;
using Microsoft.AspNetCore.Components;

namespace GreenConsole.Tests.Web.Components;

public sealed class CloudRowTests : MudTestContext
{
    private static readonly CloudSummary Cloud = new(3, "10.0.0.3", 22, "gc", HasPassword: true, HasKey: false, KeyPath: null, "KR", "Korea", "KR", 400, 1.2,
        "KR lab", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, null, null, null);

    private IRenderedComponent<CloudRow> RenderRow(CloudHealthView health, bool admin, Action? onTest = null)
    {
        var host = Render(b =>
        {
            b.OpenElement(0, "table");
            b.OpenElement(1, "tbody");
            b.OpenComponent<CloudRow>(2);
            b.AddAttribute(3, nameof(CloudRow.Cloud), Cloud);
            b.AddAttribute(4, nameof(CloudRow.Health), health);
            b.AddAttribute(5, nameof(CloudRow.IsAdmin), admin);
            b.AddAttribute(6, nameof(CloudRow.OnTest), EventCallback.Factory.Create(this, () => onTest?.Invoke()));
            b.CloseComponent();
            b.CloseElement();
            b.CloseElement();
        });
        return host.FindComponent<CloudRow>();
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void Only_an_administrator_sees_delete(bool admin, int deletes)
    {
        var row = RenderRow(new CloudHealthView(true, 12, null, null, "SHA256:abc"), admin);

        Assert.Equal(deletes, row.FindAll("button[aria-label='Delete cloud']").Count);
        Assert.Single(row.FindAll("button[aria-label='Test connection']"));
        Assert.Equal("reachable", row.Find("[data-state]").GetAttribute("data-state"));
    }

    [Fact]
    public void A_changed_host_key_offers_the_review_to_administrators_only()
    {
        var changed = new CloudHealthView(false, null, "HostKeyChanged", "the host key changed", "SHA256:old");

        Assert.Single(RenderRow(changed, admin: true).FindAll("#review-key-3"));
        Assert.Empty(RenderRow(changed, admin: false).FindAll("#review-key-3"));
        Assert.Contains("unreachable · HostKeyChanged", RenderRow(changed, admin: false).Find("[data-state=unreachable]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_button_calls_back()
    {
        var clicked = 0;
        var row = RenderRow(new CloudHealthView(null, null, null, null, null), admin: false, () => clicked++);

        row.Find("button[aria-label='Test connection']").Click();

        Assert.Equal(1, clicked);
        Assert.Contains("not checked yet", row.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unchanged_row_is_not_redrawn()
    {
        var health = new CloudHealthView(true, 12, null, null, "SHA256:abc");
        var row = RenderRow(health, admin: true);
        var renders = row.RenderCount;

        row.Render(p => p.Add(r => r.Health, health with { }));
        Assert.Equal(renders, row.RenderCount);

        row.Render(p => p.Add(r => r.Health, health with { LatencyMs = 99 }));
        Assert.Equal(renders + 1, row.RenderCount);
        Assert.Contains("reachable · 99 ms", row.Markup, StringComparison.Ordinal);
    }
}
