// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test double for Polymarket's NegRiskAdapter (Polygon 0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296),
/// installed there with hardhat_setCode. Stateless: each function emits the events it is given.
/// Events as declared in Polymarket/neg-risk-ctf-adapter src/NegRiskAdapter.sol (INegRiskAdapterEE).
contract FakeNegRiskAdapter {
    event MarketPrepared(bytes32 indexed marketId, address indexed oracle, uint256 feeBips, bytes data);
    event QuestionPrepared(bytes32 indexed marketId, bytes32 indexed questionId, uint256 index, bytes data);
    event OutcomeReported(bytes32 indexed marketId, bytes32 indexed questionId, bool outcome);
    event PositionSplit(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount);
    event PositionsMerge(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount);
    event PositionsConverted(
        address indexed stakeholder, bytes32 indexed marketId, uint256 indexed indexSet, uint256 amount
    );
    event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout);

    struct Market {
        bytes32 marketId;
        address oracle;
        uint256 feeBips;
        bytes data;
    }

    struct Question {
        bytes32 marketId;
        bytes32 questionId;
        uint256 index;
        bytes data;
    }

    struct Outcome {
        bytes32 marketId;
        bytes32 questionId;
        bool outcome;
    }

    /// A split or a merge: the same fields.
    struct Position {
        address stakeholder;
        bytes32 conditionId;
        uint256 amount;
    }

    struct Conversion {
        address stakeholder;
        bytes32 marketId;
        uint256 indexSet;
        uint256 amount;
    }

    struct Redemption {
        address redeemer;
        bytes32 conditionId;
        uint256[] amounts;
        uint256 payout;
    }

    function emitMarkets(Market[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit MarketPrepared(xs[i].marketId, xs[i].oracle, xs[i].feeBips, xs[i].data);
    }

    function emitQuestions(Question[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit QuestionPrepared(xs[i].marketId, xs[i].questionId, xs[i].index, xs[i].data);
    }

    function emitOutcomes(Outcome[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit OutcomeReported(xs[i].marketId, xs[i].questionId, xs[i].outcome);
    }

    function emitSplits(Position[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit PositionSplit(xs[i].stakeholder, xs[i].conditionId, xs[i].amount);
    }

    function emitMerges(Position[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit PositionsMerge(xs[i].stakeholder, xs[i].conditionId, xs[i].amount);
    }

    function emitConversions(Conversion[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            emit PositionsConverted(xs[i].stakeholder, xs[i].marketId, xs[i].indexSet, xs[i].amount);
        }
    }

    function emitRedemptions(Redemption[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit PayoutRedemption(xs[i].redeemer, xs[i].conditionId, xs[i].amounts, xs[i].payout);
    }
}
