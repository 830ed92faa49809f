using GreenConsole.Core.Migration;
using GreenConsole.Web.Clouds;

namespace GreenConsole.Web.Jobs;

/// <summary>Everything a <see cref="MigrationDriver"/> works with: ports, the job repository, stores and settings.</summary>
internal sealed record MigrationDriverContext(
    CloudRepository Clouds,
    ITrainingAgent Agent,
    JobRepository Jobs,
    JobStore Store,
    MigrationHooks Hooks,
    JobsOptions Options,
    TimeProvider Time,
    ILogger Logger,
    MigrationStateMachine Machine,
    Definitions.JobSpecs Specs,
    Definitions.JobPreparation Prepare);

/// <summary>Cloud ids are ints in the database and strings in Core's ports (SSH targets, the policy); this is the one conversion.</summary>
internal static class CloudKeys
{
    public static string Of(int cloudId) => cloudId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
