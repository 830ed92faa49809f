using Bunit;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Dashboard;
using GreenConsole.Web.Extensions;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Simulation;
using GreenConsole.Web.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReportsPage = GreenConsole.Web.Components.Pages.Reports;
using SimulatePage = GreenConsole.Web.Components.Pages.Simulate;
using TelemetryPage = GreenConsole.Web.Components.Pages.Telemetry;

namespace GreenConsole.Tests.Web.Components;

public sealed class TelemetryAndSimulatePageTests : MudTestContext
{
    public TelemetryAndSimulatePageTests()
    {
        this.AddRealJobServices();
        Services.AddSingleton(Options.Create(new TelemetryOptions()));
        Services.AddSingleton<TelemetryStore>();
        Services.AddSingleton(Options.Create(new DashboardOptions()));
        Services.AddGreenConsoleSimulation();
        Authorization.SetAuthorized("researcher1");
    }

    [Fact]
    public async Task Telemetry_lists_every_cloud_and_marks_the_one_a_link_asked_for()
    {
        var clouds = await this.ImportSampleCloudsAsync();
        var wanted = clouds[1].Id;

        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        navigation.NavigateTo($"/telemetry?cloud={wanted}");
        var cut = RenderWithProviders<TelemetryPage>();

        cut.WaitForAssertion(() => Assert.Equal(clouds.Count, cut.FindAll("#telemetry-table tbody tr").Count));
        Assert.Contains("gc-row-selected", cut.Find($"#telemetry-table tr[data-cloud='{wanted}']").ClassName ?? "", StringComparison.Ordinal);
        // Nothing polled yet: the page says it waits instead of "0 ok".
        Assert.Equal("Waiting for the first hardware poll.", cut.Find("#last-poll").TextContent.Trim());
        Assert.NotNull(cut.Find("#intensity-chart"));
    }

    [Fact]
    public async Task Simulate_runs_the_five_policies_over_a_week_and_charts_grams_per_policy()
    {
        await this.MigrateAsync();
        var cut = RenderWithProviders<SimulatePage>();
        var vm = Services.GetRequiredService<SimulationViewModel>();
        cut.WaitForAssertion(() => Assert.NotEmpty(vm.AvailableZones), TimeSpan.FromSeconds(20));
        vm.From = new DateTime(2023, 3, 1);
        vm.To = new DateTime(2023, 3, 7);

        Assert.False(cut.Find("#run").HasAttribute("disabled"));
        cut.Find("#run").Click();

        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("#simulate-table tbody tr").Count), TimeSpan.FromSeconds(60));
        Assert.Equal("1", cut.Find("#simulate-chart").GetAttribute("data-series"));
        Assert.Equal("5", cut.Find("#simulate-chart").GetAttribute("data-points"));
        Assert.NotNull(cut.Find("#simulate-table tr[data-policy='greenconsole']"));
    }

    [Fact]
    public async Task Reports_offers_each_jobs_exports()
    {
        await this.MigrateAsync();
        Services.GetRequiredService<JobStore>().Upsert(new JobSnapshot("job-r", "report me", JobStatus.Finished, 1, 1, "", 10, 10, 1, 0.1, 5,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, null, null));

        var cut = RenderWithProviders<ReportsPage>();

        var links = cut.FindAll("#report-jobs a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["/jobs/job-r", "/api/jobs/job-r/report?format=csv", "/api/jobs/job-r/report?format=json"], links);
    }
}
