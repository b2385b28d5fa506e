using StaticD.Acme;
using Xunit;

namespace StaticD.Tests.Acme;

public sealed class ScheduleTests
{
    private static readonly DateTimeOffset Issued = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RenewalIsAtTwoThirdsOfTheLifetimeWithJitterOnlyBefore()
    {
        DateTimeOffset notAfter = Issued.AddDays(90);
        Assert.Equal(Issued.AddDays(60), Schedule.RenewAt(Issued, notAfter, null, 0));
        Assert.Equal(Issued.AddDays(60 - 4.5), Schedule.RenewAt(Issued, notAfter, null, 1));
        DateTimeOffset mid = Schedule.RenewAt(Issued, notAfter, null, 0.5);
        Assert.True(mid < Issued.AddDays(60) && mid > Issued.AddDays(55));
        // A six-day certificate (short-lived profile) renews on day four.
        Assert.Equal(Issued.AddDays(4), Schedule.RenewAt(Issued, Issued.AddDays(6), null, 0));
    }

    [Fact]
    public void AnAriWindowDecidesWhenOffered()
    {
        var window = new AcmeWindow { Start = Issued.AddDays(10), End = Issued.AddDays(12) };
        Assert.Equal(Issued.AddDays(10), Schedule.RenewAt(Issued, Issued.AddDays(90), window, 0));
        Assert.Equal(Issued.AddDays(11), Schedule.RenewAt(Issued, Issued.AddDays(90), window, 0.5));
        // An empty or reversed window is ignored.
        var bad = new AcmeWindow { Start = Issued.AddDays(12), End = Issued.AddDays(10) };
        Assert.Equal(Issued.AddDays(60), Schedule.RenewAt(Issued, Issued.AddDays(90), bad, 0));
    }

    [Fact]
    public void BackoffDoublesFromOneMinuteUpToTheCap()
    {
        Assert.Equal(TimeSpan.Zero, Schedule.Backoff(0, 0));
        Assert.Equal(TimeSpan.FromMinutes(1), Schedule.Backoff(1, 0));
        Assert.Equal(TimeSpan.FromMinutes(2), Schedule.Backoff(2, 0));
        Assert.Equal(TimeSpan.FromMinutes(8), Schedule.Backoff(4, 0));
        Assert.Equal(TimeSpan.FromMinutes(10), Schedule.Backoff(4, 1)); // stretched by up to a quarter
        Assert.Equal(Schedule.BackoffCap, Schedule.Backoff(30, 0));
        Assert.Equal(Schedule.BackoffCap, Schedule.Backoff(int.MaxValue, 0));
    }

    [Fact]
    public void AFailedOrderBlocksTheHostForTheInterval()
    {
        DateTimeOffset now = Issued;
        Assert.Equal(now, Schedule.NextAttempt(new OrderRecord(), now, TimeSpan.FromHours(1), 0));
        var network = new OrderRecord { LastFailure = now, ConsecutiveFailures = 3 };
        Assert.Equal(now.AddMinutes(4), Schedule.NextAttempt(network, now, TimeSpan.FromHours(1), 0));
        var invalid = new OrderRecord { LastFailure = now, ConsecutiveFailures = 1, LastFailedOrder = now };
        Assert.Equal(now.AddHours(1), Schedule.NextAttempt(invalid, now, TimeSpan.FromHours(1), 0));
        Assert.Equal(now.AddMinutes(1), Schedule.NextAttempt(invalid, now, TimeSpan.FromSeconds(5), 0));
        // Long past: the next attempt may start now.
        Assert.Equal(now.AddDays(2), Schedule.NextAttempt(invalid, now.AddDays(2), TimeSpan.FromHours(1), 0));
    }
}
