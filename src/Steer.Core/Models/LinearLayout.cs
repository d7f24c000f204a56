namespace Steer.Models;

/// <summary>How a linear layer's weight matrix is stored, which decides the product (and decode kernel) it needs.</summary>
public enum LinearLayout
{
    /// <summary>[in, out], y = x·W + b: GPT-2's Conv1D.</summary>
    InputMajor,

    /// <summary>[out, in], y = x·Wᵀ + b: torch's nn.Linear, and tied unembeddings (the embedding matrix).</summary>
    OutputMajor,
}
