namespace Steer.Steering;

/// <summary>Which positions of a forward pass a steering component reaches.</summary>
public enum PositionMode
{
    /// <summary>ActAdd's rule: the vector's rows on the first prompt positions, in the prompt pass only.</summary>
    Front,
    /// <summary>A one-row vector at every prompt position, in the prompt pass only.</summary>
    Prompt,
    /// <summary>A one-row vector at every generated token only, in the KV-cached decoding steps.</summary>
    Generated,
    /// <summary>A one-row vector at every position of the prompt and of every generated token (repeng's and llama.cpp's rule).</summary>
    All,
    /// <summary>
    /// A one-row vector at the assistant's reply being written in a chat: from the assistant header the chat template
    /// writes (<c>add_generation_prompt</c>) through every generated token, never the system or user turns. Needs a
    /// prompt that knows where the reply starts (<see cref="Generation.GenerationItem.ReplyStart"/>).
    /// </summary>
    Assistant,
}

/// <summary>What a steering component does to the residual stream at the positions it reaches.</summary>
public enum SteeringOperator
{
    /// <summary>Adds the vector.</summary>
    Add,
    /// <summary>
    /// Directional ablation: removes the residual's component along the vector's direction, x ← x − (x·u)u with u the
    /// unit vector. The vector only gives the direction; nothing of it is added.
    /// </summary>
    Ablate,
}
