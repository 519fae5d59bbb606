using McpFunctions.Core.Configuration;

namespace McpFunctions.Http.Jobs;

/// <summary>Settings of section <c>Jobs</c> (environment <c>Jobs__Enabled</c>): the LocalHost's scheduled-job runner.</summary>
/// <remarks>The Function App ignores this section: Azure runs its jobs as timer triggers.</remarks>
public sealed class JobsOptions : IValidatedOptions
{
    public const string Section = "Jobs";

    /// <summary>Run the jobs on their schedules; off in tests so background sweeps do not touch their data.</summary>
    public bool Enabled { get; set; } = true;

    public IReadOnlyList<string> Problems() => [];
}
