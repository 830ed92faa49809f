namespace GreenConsole.Core.Migration;

/// <summary>A recorded change of a job's status: from <paramref name="At"/> on, the job trains or it does not.</summary>
public readonly record struct ActivityChange(DateTimeOffset At, bool Trains);

/// <summary>When a job actually trained, so that pauses and policy waits are not charged as run time.</summary>
public static class JobActivity
{
    /// <summary>
    /// The stretches of [<paramref name="from"/>, <paramref name="to"/>) in which the job trained. A job trains from
    /// its start; each change switches it on or off. Changes before the window only set the state at its start, and
    /// changes at the same instant apply in the given order.
    /// </summary>
    public static IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> TrainingStretches(
        DateTimeOffset from, DateTimeOffset to, IEnumerable<ActivityChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var stretches = new List<(DateTimeOffset From, DateTimeOffset To)>();
        var trains = true;
        var since = from;
        // OrderBy is stable: same-instant changes keep their recorded order.
        foreach (var c in changes.OrderBy(c => c.At))
        {
            if (c.At >= to)
            {
                break;
            }

            if (trains && !c.Trains && c.At > since)
            {
                stretches.Add((since, c.At));
            }
            else if (!trains && c.Trains)
            {
                since = c.At > from ? c.At : from;
            }

            trains = c.Trains;
        }

        if (trains && to > since)
        {
            stretches.Add((since, to));
        }

        return stretches;
    }
}
