using Bunit;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Web.Components.Jobs;
using GreenConsole.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Components;

/// <summary>The "New job" form's validation: every bad field is named next to its box, and nothing is stored.</summary>
public sealed class NewJobFormTests : MudTestContext
{
    public NewJobFormTests()
    {
        this.AddRealJobServices();
        Authorization.SetAuthorized("researcher1");
    }

    private async Task<int> StoredJobsAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<GreenConsole.Web.Data.GreenConsoleDbContext>>().CreateDbContextAsync();
        return await db.Jobs.CountAsync() + await db.JobDefinitions.CountAsync();
    }

    private static IReadOnlyList<string> Fields(IRenderedComponent<MudProviders> cut) =>
        [.. cut.FindAll("#job-errors div[data-field]").Select(d => d.GetAttribute("data-field")!)];

    [Fact]
    public async Task An_empty_form_names_each_missing_field_and_starts_nothing()
    {
        var clouds = await this.ImportSampleCloudsAsync();
        var cut = RenderWithProviders<NewJobForm>(p => p.Add(x => x.Clouds, clouds));

        await cut.Find("#job-submit").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Equal(["name", "project", "command"], Fields(cut)));
        // The box itself shows its error too (MudBlazor's error text under the field).
        Assert.Contains("a job needs a name", cut.Markup, StringComparison.Ordinal);
        Assert.Equal(0, await StoredJobsAsync());
    }

    [Fact]
    public async Task Without_a_registered_cloud_the_start_cloud_is_named()
    {
        await this.MigrateAsync();
        var cut = RenderWithProviders<NewJobForm>(p => p.Add(x => x.Clouds, []));
        var form = cut.FindComponent<NewJobForm>().Instance;
        form.Model.Name = "n";
        form.Model.ProjectPath = "/srv/p";
        form.Model.Command = "true";
        cut.Render();

        await cut.Find("#job-submit").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Equal(["cloud"], Fields(cut)));
        Assert.Equal(0, await StoredJobsAsync());
    }

    [Fact]
    public async Task Own_checkpoint_mode_needs_a_folder_inside_the_project_and_a_resume_placeholder()
    {
        var clouds = await this.ImportSampleCloudsAsync();
        var cut = RenderWithProviders<NewJobForm>(p => p.Add(x => x.Clouds, clouds));
        var form = cut.FindComponent<NewJobForm>().Instance;
        form.Model.Name = "resnet";
        form.Model.ProjectPath = "/srv/resnet";
        form.Model.Command = "python3 train.py";
        form.Model.Mode = JobMode.OwnCheckpoint;
        form.Model.CheckpointDir = "../../etc";
        form.Model.ResumeArgs = "--resume";
        form.Model.Requires = "torch>=2.0, torch~=1";
        form.Model.Variables = "LR=0.1\nnot a pair";
        form.Model.CloudId = clouds[0].Id;
        cut.Render();

        await cut.Find("#job-submit").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Equal(["env", "requires", "checkpointDir", "resumeArgs"], Fields(cut)));
        Assert.Contains("'../../etc' must be a folder inside the project", cut.Find("#job-errors").TextContent, StringComparison.Ordinal);
        Assert.Equal(0, await StoredJobsAsync());
    }

    [Fact]
    public async Task The_preview_shows_the_exact_command_with_secrets_masked()
    {
        var clouds = await this.ImportSampleCloudsAsync();
        var cut = RenderWithProviders<NewJobForm>(p => p.Add(x => x.Clouds, clouds));
        var form = cut.FindComponent<NewJobForm>().Instance;
        form.Model.ProjectPath = "~/projects/cnn";
        form.Model.ProjectOnCloud = true;
        form.Model.Command = "python3 train.py --epochs 10";
        form.Model.Variables = "LR=0.1";
        form.Model.SecretDraft = "WANDB_API_KEY=wandb-secret-123";
        await cut.Find("#job-add-secret").ClickAsync(new());

        var preview = cut.Find("#job-preview").TextContent;
        Assert.Equal("cd ~/projects/cnn && LR=0.1 WANDB_API_KEY=" + JobVariable.Mask + " python3 train.py --epochs 10", preview);
        // Once added, the value is nowhere on the page: the box is empty and the list shows the name only.
        Assert.DoesNotContain("wandb-secret-123", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("WANDB_API_KEY=" + JobVariable.Mask, cut.Find("#job-secret-names").TextContent, StringComparison.Ordinal);
        Assert.Equal("password", cut.Find("#job-secret-env input, input#job-secret-env").GetAttribute("type"));
    }

    [Fact]
    public async Task A_project_folder_that_does_not_exist_is_named_and_nothing_is_stored()
    {
        var clouds = await this.ImportSampleCloudsAsync();
        var cut = RenderWithProviders<NewJobForm>(p => p.Add(x => x.Clouds, clouds));
        var form = cut.FindComponent<NewJobForm>().Instance;
        form.Model.Name = "ghost";
        form.Model.ProjectPath = "/nonexistent/gc-project";
        form.Model.Command = "python3 train.py";
        form.Model.CloudId = clouds[0].Id;
        cut.Render();

        await cut.Find("#job-submit").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Contains("'/nonexistent/gc-project' does not exist", cut.Find("#job-errors div[data-field='project']").TextContent, StringComparison.Ordinal));
        Assert.Empty(Services.GetRequiredService<JobStore>().Jobs);
        Assert.Equal(0, await StoredJobsAsync());
    }
}
