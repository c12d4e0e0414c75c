// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test double for Gnosis ConditionalTokens (Polygon 0x4D97DCd97eC945f40cF65F87097ACe5EA0476045),
/// installed there with hardhat_setCode. It keeps no state: each function emits the
/// events it is given, in order, so a world script can replay any sequence.
/// Events as declared in gnosis/conditional-tokens-contracts v1.0.3:
/// contracts/ConditionalTokens.sol (`uint` is uint256, `IERC20` is an address in the ABI)
/// and contracts/ERC1155/IERC1155.sol.
contract FakeCtf {
    event ConditionPreparation(
        bytes32 indexed conditionId,
        address indexed oracle,
        bytes32 indexed questionId,
        uint256 outcomeSlotCount
    );

    event ConditionResolution(
        bytes32 indexed conditionId,
        address indexed oracle,
        bytes32 indexed questionId,
        uint256 outcomeSlotCount,
        uint256[] payoutNumerators
    );

    event PositionSplit(
        address indexed stakeholder,
        address collateralToken,
        bytes32 indexed parentCollectionId,
        bytes32 indexed conditionId,
        uint256[] partition,
        uint256 amount
    );

    event PositionsMerge(
        address indexed stakeholder,
        address collateralToken,
        bytes32 indexed parentCollectionId,
        bytes32 indexed conditionId,
        uint256[] partition,
        uint256 amount
    );

    event PayoutRedemption(
        address indexed redeemer,
        address indexed collateralToken,
        bytes32 indexed parentCollectionId,
        bytes32 conditionId,
        uint256[] indexSets,
        uint256 payout
    );

    event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value);

    event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values);

    struct Preparation {
        bytes32 conditionId;
        address oracle;
        bytes32 questionId;
        uint256 outcomeSlotCount;
    }

    struct Resolution {
        bytes32 conditionId;
        address oracle;
        bytes32 questionId;
        uint256 outcomeSlotCount;
        uint256[] payoutNumerators;
    }

    /// A split or a merge: the same fields.
    struct Position {
        address stakeholder;
        address collateralToken;
        bytes32 parentCollectionId;
        bytes32 conditionId;
        uint256[] partition;
        uint256 amount;
    }

    struct Redemption {
        address redeemer;
        address collateralToken;
        bytes32 parentCollectionId;
        bytes32 conditionId;
        uint256[] indexSets;
        uint256 payout;
    }

    struct Single {
        address operator;
        address from;
        address to;
        uint256 id;
        uint256 value;
    }

    struct Batch {
        address operator;
        address from;
        address to;
        uint256[] ids;
        uint256[] values;
    }

    function emitPreparations(Preparation[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            emit ConditionPreparation(xs[i].conditionId, xs[i].oracle, xs[i].questionId, xs[i].outcomeSlotCount);
        }
    }

    function emitResolutions(Resolution[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Resolution calldata x = xs[i];
            emit ConditionResolution(x.conditionId, x.oracle, x.questionId, x.outcomeSlotCount, x.payoutNumerators);
        }
    }

    function emitSplits(Position[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Position calldata x = xs[i];
            emit PositionSplit(x.stakeholder, x.collateralToken, x.parentCollectionId, x.conditionId, x.partition, x.amount);
        }
    }

    function emitMerges(Position[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Position calldata x = xs[i];
            emit PositionsMerge(x.stakeholder, x.collateralToken, x.parentCollectionId, x.conditionId, x.partition, x.amount);
        }
    }

    function emitRedemptions(Redemption[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Redemption calldata x = xs[i];
            emit PayoutRedemption(x.redeemer, x.collateralToken, x.parentCollectionId, x.conditionId, x.indexSets, x.payout);
        }
    }

    function emitTransferSingles(Single[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            emit TransferSingle(xs[i].operator, xs[i].from, xs[i].to, xs[i].id, xs[i].value);
        }
    }

    function emitTransferBatches(Batch[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            emit TransferBatch(xs[i].operator, xs[i].from, xs[i].to, xs[i].ids, xs[i].values);
        }
    }
}
