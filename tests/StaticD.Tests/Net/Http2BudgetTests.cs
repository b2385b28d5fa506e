using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>The per-window budgets that bound Rapid Reset and control-frame floods.</summary>
public sealed class Http2BudgetTests
{
    [Fact]
    public void TheBudgetHoldsForItsWindowThenRefuses()
    {
        var budget = new Http2Budget(3);
        Assert.True(budget.Spend(1000));
        Assert.True(budget.Spend(1001));
        Assert.True(budget.Spend(5000));
        Assert.False(budget.Spend(10_999));
    }

    [Fact]
    public void ANewWindowStartsAfreshAfterTenSeconds()
    {
        var budget = new Http2Budget(2);
        Assert.True(budget.Spend(0));
        Assert.True(budget.Spend(1));
        Assert.False(budget.Spend(2));
        Assert.True(budget.Spend(Http2Budget.WindowMs));
        Assert.True(budget.Spend(Http2Budget.WindowMs + 1));
        Assert.False(budget.Spend(Http2Budget.WindowMs + 2));
    }

    [Fact]
    public void TheFirstEventAtAnyClockValueOpensTheWindow()
    {
        var budget = new Http2Budget(1);
        Assert.True(budget.Spend(-5));
        Assert.False(budget.Spend(-4));
    }
}
